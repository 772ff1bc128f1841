"""records.demo on the small test zone: every state, generated photos, an appeal, idempotent."""

import datetime

from records import demo
from records.models import Appeal, AppealState, RecordAttachment, State, WorkRecord


def test_the_demo_makes_records_in_every_state_with_photos_and_an_open_appeal(zone, published):
    # Publishing the first quarter closed March; April is still open, May is running.
    made = demo.play(
        seed=1,
        zone=zone.zone,
        today=datetime.date(2025, 5, 20),
        user=zone.staff,
        listed=["secretary", "outsider"],
    )
    assert made == WorkRecord.objects.count() > 0
    states = set(WorkRecord.objects.values_list("state", flat=True))
    assert states == {State.DRAFT, State.SUBMITTED, State.AWARDED, State.RETURNED}
    assert WorkRecord.objects.filter(month=3, late=True).exists()
    assert not WorkRecord.objects.filter(month=3, state=State.AWARDED).exists()
    photo = RecordAttachment.objects.exclude(thumbnail="").first()
    assert photo is not None and photo.file.read(3) == b"\xff\xd8\xff"
    assert Appeal.objects.filter(state=AppealState.OPEN).count() == 1
    assert (
        demo.play(seed=1, zone=zone.zone, today=datetime.date(2025, 5, 20), user=zone.staff) is None
    )
