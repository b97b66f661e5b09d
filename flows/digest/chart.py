"""The digest's chart: registrations per feature value against the quotas' lower bounds, drawn by `Charts`."""

from __future__ import annotations

from collections.abc import Sequence

from flows.assembly import Assembly
from flows.digest.figures import Stratum
from flows.digest.render import feature_label, in_definition_order, value_label
from flows.ports import Charts, QuotaBar, Translator


def quota_chart(charts: Charts, tr: Translator, assembly: Assembly, strata: Sequence[Stratum]) -> bytes:
    """One bar per feature value (registered, and confirmed), with the quota's minimum as a tick.

    Each feature opens with its question as a heading row (no bar), then its values in the
    definition's order, all in the reader's language.
    """
    bars: list[QuotaBar] = []
    feature = None
    for s in in_definition_order(assembly, strata):
        if s.feature != feature:
            feature = s.feature
            bars.append(QuotaBar(feature_label(assembly, tr, feature), 0, 0, None, heading=True))
        bars.append(
            QuotaBar(value_label(assembly, tr, s.feature, s.value), s.registered, s.confirmed, s.min_seats)
        )
    return charts.quota_chart(
        tr.gettext("Registrations against the quotas"),
        bars,
        registered=tr.gettext("registered"),
        confirmed=tr.gettext("confirmed"),
        minimum=tr.gettext("quota minimum"),
        axis=tr.gettext("people"),
    )
