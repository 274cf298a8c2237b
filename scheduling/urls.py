from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("book/", views.book, name="book"),
    path("walk-in/", views.walk_in, name="walk_in"),
    path("appointments/<int:appointment_id>/", views.appointment, name="appointment"),
    path("appointments/<int:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:appointment_id>/no-show/", views.no_show, name="no_show"),
    path("appointments/<int:appointment_id>/check-in/", views.check_in, name="check_in"),
    path("appointments/<int:appointment_id>/notes/", views.add_note, name="add_note"),
    path("patients/<int:patient_id>/appointments/", views.patient_appointments, name="patient_appointments"),
    path("queue/", views.my_queue, name="my_queue"),
    path("queue/<int:department_id>/call-next/", views.call_next, name="call_next"),
    path("queue/<int:department_id>/board/", views.board, name="board"),
    path("queue/entries/<int:entry_id>/call/", views.queue_call, name="queue_call"),
    path("queue/entries/<int:entry_id>/start/", views.queue_start, name="queue_start"),
    path("queue/entries/<int:entry_id>/finish/", views.queue_finish, name="queue_finish"),
    path("queue/entries/<int:entry_id>/leave/", views.queue_leave, name="queue_leave"),
    path("queue/entries/<int:entry_id>/requeue/", views.queue_requeue, name="queue_requeue"),
    path("queue/entries/<int:entry_id>/priority/", views.queue_priority, name="queue_priority"),
]
