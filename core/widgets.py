"""Form widgets every app's pages share: the browser's own date and time pickers, and boxes that suggest
as one types."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext as _


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class Combobox(forms.TextInput):
    """A text box that suggests as one types (static/js/combobox.js, the WAI-ARIA combobox pattern: arrow
    keys, Enter to pick, Escape to close, the list announced to screen readers). `source` is a URL that
    answers GET ?q= with {"results": [{"value", "label", "detail"?, "disabled"?, "id"?}]}. Pages that use
    it load js/combobox.js."""

    def __init__(self, source, attrs=None):
        super().__init__(attrs)
        self.source = source

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
                "autocomplete": "off",
                "spellcheck": "false",
                "data-combobox": str(self.source),
                # what the script says to screen readers, translated here ({count}, {label} filled there)
                "data-text-list": _("Suggestions"),
                "data-text-some": _("{count} suggestions, use the arrow keys"),
                "data-text-none": _("No suggestions"),
                "data-text-picked": _("{label} picked"),
            }
        )
        return context


class NameLookup(Combobox):
    """Pick a thing by its name, submit its id: a hidden input `<name>` holds the id, the box `<name>_name`
    shows the name (`name_of(id)`). Without JavaScript, or when the box was typed in and nothing picked,
    the name typed arrives instead of an id, and the form field resolves it (or says why it cannot)."""

    def __init__(self, source, name_of, attrs=None):
        super().__init__(source, attrs)
        self.name_of = name_of

    def value_from_datadict(self, data, files, name):
        return data.get(name) or (data.get(f"{name}_name") or "").strip() or None

    def render(self, name, value, attrs=None, renderer=None):
        value = "" if value is None else str(value)
        picked = value.isdigit()
        shown = (self.name_of(int(value)) or value) if picked else value
        hidden = format_html(
            '<input type="hidden" name="{}" value="{}" data-combobox-value>', name, value if picked else ""
        )
        return hidden + super().render(f"{name}_name", shown, attrs, renderer)
