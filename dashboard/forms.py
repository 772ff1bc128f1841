from django import forms

from orgs.models import Organization


class MarkForm(forms.Form):
    organizations = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(),
        error_messages={
            "required": "请先勾选要标记的组织。",
            "invalid_choice": "所选组织不存在或不在本区。",
            "invalid_pk_value": "所选组织编号无效。",
        },
    )
    undo = forms.BooleanField(required=False)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = organizations  # type: ignore[attr-defined]
