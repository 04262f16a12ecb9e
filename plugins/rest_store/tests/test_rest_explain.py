"""explain on a SCIM store: the filter text and list parameters sent; never a full-scan verdict.

A rest store takes no ``scan_threshold`` (the server decides how it answers), so the scan
guard never refuses there.
"""

from __future__ import annotations


def test_explain_shows_the_scim_request_and_the_recheck(full_server, connect_store) -> None:
    store = connect_store(full_server.new_url(), memberships="groups")
    explanation = store.explain('userName eq "a\\"b" and displayName co "x"', sort_by="userName")
    assert explanation.backend == "rest (SCIM 2.0)"
    assert explanation.native.startswith("GET /Users?filter=")
    assert 'filter=userName eq "a\\"b" and displayName co "x"&' in explanation.native
    assert "sortBy=userName&sortOrder=ascending" in explanation.native
    assert explanation.rechecked and "reference evaluator" in explanation.rechecked[0]
    assert explanation.full_scan is None
    assert "full scan: unknown" in str(explanation)
