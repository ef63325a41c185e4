"""Which field of the site dialog a refused save is about, and bringing it forward.

``validate_profile`` says what is wrong in words; the dialog also needs *where*, to switch to
that field's tab and focus it. The field to blame is the first one (in the dialog's order)
whose value, put back to a plain valid one, makes that refusal go away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QWidget

from isr_desk.domain import CdnSettings, SiteProfile
from isr_desk.services.errors import IsrError, ProfileExistsError
from isr_desk.services.sites import check_secret, validate_profile
from isr_desk.views.cdn_settings import CdnSettingsGroup
from isr_desk.views.profile_sending import SendingTab
from isr_desk.views.profile_site import SiteTab

# Valid in every check, and not empty where a check asks for a value (a CDN's zone).
_PLAIN = SiteProfile(name="Site", base_url="https://www.example.com",
                     cdn=CdnSettings(project="project", zone="zone"))  # fmt: skip


def _reset(profile: SiteProfile, key: str) -> SiteProfile:
    """``profile`` with the field ``key`` ("timeout", "endpoint.path", "cdn.zone") plain."""
    outer, _, inner = key.partition(".")
    if not inner:
        return replace(profile, **{outer: getattr(_PLAIN, outer)})
    part = replace(getattr(profile, outer), **{inner: getattr(getattr(_PLAIN, outer), inner)})
    return replace(profile, **{outer: part})


def _refusal(check: Callable[[SiteProfile], object], profile: SiteProfile) -> str | None:
    try:
        check(profile)
    except IsrError as exc:
        return exc.describe()
    return None


def blamed_field(
    profile: SiteProfile, check: Callable[[SiteProfile], object], keys: Sequence[str]
) -> str | None:
    """The first of ``keys`` whose plain value ends ``check``'s refusal of ``profile``."""
    refusal = _refusal(check, profile)
    if refusal is None:
        return None
    for key in keys:
        if _refusal(check, _reset(profile, key)) != refusal:
            return key
    return None


def _controls(site: SiteTab, sending: SendingTab, cdn: CdnSettingsGroup) -> dict[str, QWidget]:
    """Each profile field's control, in the order of the tabs."""
    return {
        "name": site.name_edit, "base_url": site.url_edit,
        "endpoint.path": site.path_edit, "endpoint.method": site.method_combo,
        "endpoint.url_template": site.url_template_edit,
        "endpoint.tag_url_template": site.tag_url_template_edit,
        "endpoint.path_body_template": site.path_body_edit,
        "endpoint.tag_body_template": site.tag_body_edit,
        "endpoint.secret_placement": site.placement_combo,
        "endpoint.secret_name": site.secret_name_edit,
        "endpoint.preset": site.preset_combo,  # after the custom fields it makes unused
        "manifest_source": site.manifest_edit,
        "concurrency": sending.concurrency_spin, "timeout": sending.timeout_spin,
        "retries": sending.retries_spin, "endpoint.batch_size": sending.batch_spin,
        "rate_limit": sending.rate_spin, "proxy": sending.proxy_edit,
        "ca_bundle": sending.ca_edit, "headers": sending.headers_edit,
        "secret_headers": sending.secret_headers.name_edit,
        "cdn.project": cdn.project_edit, "cdn.team": cdn.team_edit,
        "cdn.target": cdn.target_combo, "cdn.zone": cdn.zone_edit,
        "cdn.public_url": cdn.public_edit,
        "cdn.provider": cdn.provider_combo,  # after the fields it makes unused
    }  # fmt: skip


def refused_field(
    error: IsrError,
    read: Callable[[], SiteProfile],
    site: SiteTab,
    sending: SendingTab,
    cdn: CdnSettingsGroup,
) -> QWidget | None:
    """The control a refused save (``error``) is about, if one is; ``read`` reads the form."""
    if isinstance(error, ProfileExistsError):
        return site.name_edit
    try:
        profile = read()
    except IsrError:
        return sending.headers_edit  # the one field that can refuse while being read
    controls = _controls(site, sending, cdn)
    key = blamed_field(profile, validate_profile, list(controls))
    if key is not None:
        return controls[key]
    secret = site.secret_edit.text()
    if secret.strip() and _refusal(lambda p: check_secret(validate_profile(p), secret), profile):
        return site.secret_edit
    return None


def bring_forward(tabs: QTabWidget, field: QWidget) -> None:
    """Bring ``field``'s tab to the front and put the cursor in it."""
    for index in range(tabs.count()):
        page = tabs.widget(index)
        if page is not None and page.isAncestorOf(field):
            tabs.setCurrentIndex(index)
            break
    field.setFocus(Qt.FocusReason.OtherFocusReason)
