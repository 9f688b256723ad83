"""Financial entry status, derived from due date and payment."""

from datetime import date

RECEIVABLE, PAYABLE = "receber", "pagar"
KINDS = (RECEIVABLE, PAYABLE)
OPEN, PAID, OVERDUE = "aberto", "pago", "vencido"
STATUSES = (OPEN, PAID, OVERDUE)


def entry_status(due_date: date | None, paid_at: date | None, today: date | None = None) -> str:
    if paid_at is not None:
        return PAID
    today = today or date.today()
    if due_date is not None and due_date < today:
        return OVERDUE
    return OPEN
