"""Sites: profiles (a JSON file), their secrets (the OS keyring only), and their endpoints.

- :class:`ProfileStore` keeps the profiles; :class:`SecretStore` keeps each site's secret.
- ``build_request`` / ``build_requests`` / ``preview_request`` turn a profile and targets into
  :class:`~isr_desk.domain.PreparedRequest` values (nothing is sent here).
- ``parse_target`` / ``parse_targets`` turn what a user typed or pasted into targets.
- :func:`to_curl` is "Copy as cURL".
"""

from __future__ import annotations

from isr_desk.services.sites._curl import to_curl
from isr_desk.services.sites._endpoints import (
    build_request,
    build_requests,
    describe,
    preview_request,
    secret_in_query,
    supports_tags,
    validate_endpoint,
)
from isr_desk.services.sites._profiles import (
    ProfileStore,
    bounds_problem,
    load_profile_file,
    profile_from_dict,
    profile_to_dict,
    validate_profile,
)
from isr_desk.services.sites._secrets import SERVICE, SecretStore, check_secret
from isr_desk.services.sites._targets import (
    MAX_PATH_LENGTH,
    MAX_TAG_LENGTH,
    Parsed,
    TargetError,
    parse_target,
    parse_targets,
)

__all__ = [
    "MAX_PATH_LENGTH",
    "MAX_TAG_LENGTH",
    "SERVICE",
    "Parsed",
    "ProfileStore",
    "SecretStore",
    "TargetError",
    "bounds_problem",
    "build_request",
    "build_requests",
    "check_secret",
    "describe",
    "load_profile_file",
    "parse_target",
    "parse_targets",
    "preview_request",
    "profile_from_dict",
    "profile_to_dict",
    "secret_in_query",
    "supports_tags",
    "to_curl",
    "validate_endpoint",
    "validate_profile",
]
