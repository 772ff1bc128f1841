"""The registry's writes that touch more than one row."""

from django.db import IntegrityError, transaction

from .models import Organization, TierAssignment


def save_organization(*, form, units):
    """Save a validated organization form and its covered-unit formset in one transaction,
    placing the organization in the tree. Returns the organization, or None after adding a
    form error when the database refuses it (a code taken meanwhile by someone else)."""
    org = form.save(commit=False)
    parent = form.cleaned_data.get("parent")
    is_new = org.pk is None
    try:
        with transaction.atomic():
            if is_new:
                Organization.objects.add_child(parent, instance=org)
            else:
                org.save()
                if parent is not None and org.parent() != parent:
                    Organization.objects.move(org, parent, "last-child")
            units.instance = org
            units.save()
    except IntegrityError:
        if is_new:
            org.pk = None
        form.add_error(
            None, "保存时组织编码或统一社会信用代码刚被他人占用，未作任何修改，请检查后重试。"
        )
        return None
    return org


def assign_tier(*, organization, year, tier, source, reason, user):
    return TierAssignment.objects.create(
        organization=organization, year=year, tier=tier, source=source, reason=reason, set_by=user
    )
