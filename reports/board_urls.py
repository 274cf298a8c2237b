from django.urls import path

from reports import board

app_name = "board"

urlpatterns = [
    path("", board.board_page, name="board"),
    path("data/", board.board_data, name="data"),
    path("ward/", board.ward_list, name="ward"),
]
