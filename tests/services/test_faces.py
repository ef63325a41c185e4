"""Each service package's face: exactly these names, every one real, nothing else public.

A name added to or dropped from a face is an API change for the views and commands that
import it (they may import nothing else: the import-linter contract in pyproject.toml), so
it shows up here, as httpx pins its own ``__all__``.
"""

from __future__ import annotations

import importlib
import types

import pytest

FACES = {
    "cdn": [
        "Batch",
        "CdnError",
        "CdnPurger",
        "Policy",
        "PurgePlan",
        "RealTimer",
        "Timer",
        "VERCEL_PATHS_NOTE",
        "api_base",
        "provider_for",
    ],
    "demo": [
        "DEMO_CDN_TOKEN",
        "DEMO_ZONE",
        "DemoSite",
        "MANIFEST_PATH",
        "REVALIDATE_PATH",
        "previous_manifest",
        "seed_previous_build",
    ],
    "history": [
        "HistoryStore",
        "RunRecord",
        "result_from_dict",
    ],
    "http": [
        "ACCEPT_ENCODING",
        "BodyTooLargeError",
        "CookielessClient",
        "DIRECT",
        "H11Transport",
        "Failing",
        "GATEWAY_HINT",
        "IDENTITY",
        "NETWORK_FAILURE_TITLES",
        "Network",
        "NetworkFailure",
        "RoutingTransport",
        "SyncRoutingTransport",
        "aiter_capped",
        "is_tls",
        "iter_capped",
        "make_client",
        "make_transport",
        "read_capped",
        "route_profile",
        "trust_context",
    ],
    "manifest": [
        "FETCH_DEADLINE",
        "FETCH_TIMEOUT",
        "INTERNAL_PAGES",
        "ManifestBuilder",
        "ManifestDiff",
        "PageChange",
        "Row",
        "Section",
        "Selection",
        "SinceLast",
        "changes_since_last",
        "compile_glob",
        "convention_fixes",
        "detect_kind",
        "diff_manifests",
        "is_glob",
        "is_own_source",
        "known_pages",
        "known_tags",
        "last_differing",
        "load_manifest",
        "matches",
        "page_forms",
        "previous_snapshot",
        "read_snapshot",
        "save_snapshot",
        "select",
        "site_conventions",
        "snapshot_time",
        "snapshots",
        "summary_line",
        "unknown_pages",
        "unknown_tags",
        "when_text",
    ],
    "revalidation": [
        "EXCERPT_CHARS",
        "Reply",
        "Revalidator",
        "Run",
        "RunOptions",
        "hint_for",
        "judge",
        "parse_retry_after",
        "results_for",
        "same_origin_redirect",
    ],
    "runs": [
        "CdnFinished",
        "CdnProgress",
        "CdnStarted",
        "Event",
        "Failed",
        "Finished",
        "HistoryOpener",
        "Progress",
        "RecordedRest",
        "ResultsBatch",
        "RunPlan",
        "RunSession",
        "RunWarning",
        "SecretSource",
        "Started",
        "Stopped",
        "TokenSource",
        "Verified",
        "VerifyStarted",
        "recorded_rest",
        "recorded_targets",
    ],
    "sites": [
        "CDN_SERVICE",
        "HEADERS_SERVICE",
        "MAX_PATH_LENGTH",
        "MAX_TAG_LENGTH",
        "Parsed",
        "Pasted",
        "ProfileStore",
        "SERVICE",
        "SecretHeaders",
        "SecretStore",
        "TargetError",
        "api_path",
        "batch_size",
        "bounds_problem",
        "build_request",
        "build_requests",
        "check_headers",
        "check_secret",
        "check_secret_header_name",
        "check_secret_header_value",
        "check_token",
        "credential_headers",
        "describe",
        "is_pattern",
        "load_profile_file",
        "parse_target",
        "parse_target_noted",
        "parse_targets",
        "preview_request",
        "profile_api_path",
        "profile_from_dict",
        "profile_page_url",
        "profile_to_dict",
        "public_path",
        "same_pages",
        "secret_in_query",
        "shown_headers",
        "site_hosts",
        "site_path",
        "split_pasted",
        "split_url_template",
        "static_prefix",
        "supports_paths",
        "supports_tags",
        "to_curl",
        "validate_endpoint",
        "validate_profile",
        "visitor_url",
        "with_base_path",
        "with_placeholders",
        "with_secret_header_names",
        "with_secret_headers",
        "without_secret_header_names",
    ],
    "verify": [
        "MAX_PAGES_PER_TAG",
        "PageKey",
        "PageState",
        "TagPaths",
        "Verdict",
        "Verification",
        "Verifier",
        "count_verdicts",
        "plan",
        "snapshot_all",
        "stale_instances",
        "tag_paths_of",
        "verify_results",
        "verify_stream",
    ],
}


@pytest.mark.parametrize("package", sorted(FACES))
def test_the_face_exports_exactly_these_names(package: str) -> None:
    face = importlib.import_module(f"isr_desk.services.{package}")
    assert sorted(face.__all__) == sorted(FACES[package])
    assert len(set(face.__all__)) == len(face.__all__)


@pytest.mark.parametrize("package", sorted(FACES))
def test_every_exported_name_exists_and_nothing_else_is_public(package: str) -> None:
    face = importlib.import_module(f"isr_desk.services.{package}")
    for name in face.__all__:
        assert hasattr(face, name), name
    public = {
        name
        for name, value in vars(face).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # from __future__
    }
    assert public <= set(face.__all__), public - set(face.__all__)
