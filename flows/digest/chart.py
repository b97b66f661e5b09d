"""The digest's chart: registrations per feature value against the quotas' lower bounds, drawn by `Charts`."""

from __future__ import annotations

from collections.abc import Sequence

from flows.digest.figures import Stratum
from flows.ports import Charts, QuotaBar, Translator


def quota_chart(charts: Charts, tr: Translator, strata: Sequence[Stratum]) -> bytes:
    """One bar per feature value (registered, and confirmed), with the quota's minimum as a tick.

    Values are labelled by their ids (`feature=value`), which read the same in every language and
    need no right-to-left shaping; the title and legend are translated.
    """
    bars = [QuotaBar(f"{s.feature}={s.value}", s.registered, s.confirmed, s.min_seats) for s in strata]
    return charts.quota_chart(
        tr.gettext("Registrations against the quotas"),
        bars,
        registered=tr.gettext("registered"),
        confirmed=tr.gettext("confirmed"),
        minimum=tr.gettext("quota minimum"),
    )
