"""Domain values: redaction and summaries."""

from __future__ import annotations

from isr_desk.domain import (
    REDACTED,
    Outcome,
    PreparedRequest,
    Result,
    RunSummary,
    Target,
    percentile,
)


def test_redacted_request_hides_secret_in_every_form() -> None:
    secret = "p@ss word/+"
    req = PreparedRequest(
        method="POST",
        url="http://x/api/revalidate?secret=p%40ss%20word%2F%2B",
        headers=(("Authorization", f"Bearer {secret}"),),
        body=f'{{"secret": "{secret}"}}'.encode(),
        targets=(Target.path("/a"),),
        secret=secret,
    ).redacted()
    assert "p%40ss" not in req.url
    assert REDACTED in req.url
    assert req.headers == (("Authorization", f"Bearer {REDACTED}"),)
    assert req.body is not None
    assert secret.encode() not in req.body
    assert req.secret is None


def test_summary_percentiles_and_not_sent() -> None:
    results = [
        Result(
            Target.path(f"/{i}"),
            ok=i % 4 != 0,
            outcome=Outcome.REFRESHED,
            status=200,
            duration_ms=float(i),
            attempts=1,
        )
        for i in range(1, 101)
    ]
    summary = RunSummary.from_results(results, total=120, duration_ms=500.0)
    assert (summary.ok, summary.failed, summary.not_sent) == (75, 25, 20)
    assert summary.p50_ms == 50.0
    assert summary.p95_ms == 95.0
    assert percentile([], 0.5) == 0.0
