"""What the registry tells the apps built on it, so that it needs to know nothing of them."""

from django.dispatch import Signal

# Sent inside the transaction before an organization moves to another zone, with
# `organization` and `to_zone`; a receiver that must refuse the move raises
# orgs.services.Refused with a Chinese message.
before_zone_move = Signal()
# Sent inside the same transaction after the move, with `organizations` (the moved pks).
after_zone_move = Signal()
