"""Events of the scoring flow that apps built on it answer (the dashboard's notices), sent
inside the transaction that makes them."""

from django.dispatch import Signal

# A quarter's warnings were published: `notice`, its warnings and rectifications created.
notice_published = Signal()
# A rectification took a step (submitted, returned or accepted): `rectification`, saved.
rectification_changed = Signal()
