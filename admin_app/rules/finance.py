"""Financial entry status, derived from due date and payment."""

from datetime import date

from admin_app.i18n import lazy_gettext as _l

RECEIVABLE, PAYABLE = "receber", "pagar"
KINDS = (RECEIVABLE, PAYABLE)
KIND_LABELS = {RECEIVABLE: _l("Receivable"), PAYABLE: _l("Payable")}
OPEN, PAID, OVERDUE = "aberto", "pago", "vencido"
STATUSES = (OPEN, PAID, OVERDUE)
STATUS_LABELS = {OPEN: _l("Open"), PAID: _l("Paid"), OVERDUE: _l("Overdue")}


def entry_status(due_date: date | None, paid_at: date | None, today: date | None = None) -> str:
    if paid_at is not None:
        return PAID
    today = today or date.today()
    if due_date is not None and due_date < today:
        return OVERDUE
    return OPEN
