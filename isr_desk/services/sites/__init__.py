"""Sites: profiles (a JSON file), their secrets (the OS keyring only), and their endpoints.

- :class:`ProfileStore` keeps the profiles; :class:`SecretStore` keeps each site's secret
  (and, under :data:`CDN_SERVICE`, its CDN API token); :class:`SecretHeaders` the values of
  its secret headers (:data:`HEADERS_SERVICE`), filled into a run's profile by
  :func:`with_secret_headers`.
- ``build_request`` / ``build_requests`` / ``preview_request`` turn a profile and targets into
  :class:`~isr_desk.domain.PreparedRequest` values (nothing is sent here).
- ``parse_target`` / ``parse_targets`` turn what a user typed or pasted into targets.
- :func:`to_curl` is "Copy as cURL".
"""

from __future__ import annotations

from isr_desk.services.sites._curl import to_curl
from isr_desk.services.sites._endpoints import (
    batch_size,
    build_request,
    build_requests,
    describe,
    preview_request,
    secret_in_query,
    supports_paths,
    supports_tags,
    validate_endpoint,
    with_base_path,
)
from isr_desk.services.sites._format import (
    profile_from_dict,
    profile_to_dict,
    split_url_template,
)
from isr_desk.services.sites._headers import check_headers, credential_headers, shown_headers
from isr_desk.services.sites._paste import Pasted, split_pasted
from isr_desk.services.sites._profiles import (
    ProfileStore,
    bounds_problem,
    load_profile_file,
    validate_profile,
)
from isr_desk.services.sites._secret_headers import (
    SecretHeaders,
    check_secret_header_name,
    check_secret_header_value,
    with_placeholders,
    with_secret_header_names,
    with_secret_headers,
    without_secret_header_names,
)
from isr_desk.services.sites._secrets import (
    CDN_SERVICE,
    HEADERS_SERVICE,
    SERVICE,
    SecretStore,
    check_secret,
    check_token,
)
from isr_desk.services.sites._targets import (
    MAX_PATH_LENGTH,
    MAX_TAG_LENGTH,
    Parsed,
    TargetError,
    api_path,
    is_pattern,
    parse_target,
    parse_target_noted,
    parse_targets,
    profile_api_path,
    profile_page_url,
    public_path,
    same_pages,
    site_hosts,
    site_path,
    static_prefix,
    visitor_url,
)

__all__ = [
    "CDN_SERVICE",
    "HEADERS_SERVICE",
    "MAX_PATH_LENGTH",
    "MAX_TAG_LENGTH",
    "SERVICE",
    "Parsed",
    "Pasted",
    "ProfileStore",
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
]
