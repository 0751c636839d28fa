"""Every reason a login or launch can be refused, with what the person sees and what an
administrator can check. Messages are translated; logs get only the reason code."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class Reason:
    status: int
    message: LazyString
    admin_hint: LazyString


REASONS: dict[str, Reason] = {
    "bad_login_request": Reason(
        400,
        _l("The LMS did not send what Senda needs to start."),
        _l("The login request must carry iss, login_hint and target_link_uri."),
    ),
    "unknown_platform": Reason(
        400,
        _l("Senda does not know this LMS yet."),
        _l(
            "Register the platform (issuer and client ID) with Senda: dynamic registration, "
            "the config file or the command 'flask --app lti_tool platforms add'."
        ),
    ),
    "platform_disabled": Reason(
        403,
        _l("Senda is switched off for this LMS."),
        _l("An administrator disabled this platform ('flask --app lti_tool platforms enable')."),
    ),
    "bad_target": Reason(
        400,
        _l("This link does not point to Senda."),
        _l("The target link URI must be on Senda's own address. Check the tool's launch URL."),
    ),
    "missing_token": Reason(
        400,
        _l("The LMS did not send a launch token."),
        _l("The launch must be a POST with an id_token and a state."),
    ),
    "malformed_token": Reason(
        400,
        _l("The launch token could not be read."),
        _l("The id_token is not a well-formed JWT."),
    ),
    "too_large": Reason(
        413,
        _l("The launch was too large."),
        _l("Senda accepts launch tokens up to 64 KB."),
    ),
    "state_missing": Reason(
        400,
        _l("This launch is incomplete."),
        _l("The launch must carry the state Senda issued at login."),
    ),
    "state_invalid": Reason(
        401,
        _l(
            "This launch has expired or was already used. Please open Senda again from your course."
        ),
        _l("Each launch can be used once, within 10 minutes of the login."),
    ),
    "browser_mismatch": Reason(
        401,
        _l("This launch was started in another browser. Please open Senda again from your course."),
        _l("The state in the launch does not match the one stored in this browser."),
    ),
    "state_store_unavailable": Reason(
        503,
        _l("Senda is busy for a moment and could not open. Please try again in a minute."),
        _l(
            "The launch-state store (Redis) did not answer. Launches work again as soon as it "
            "does; /health shows its state."
        ),
    ),
    "foreign_origin": Reason(
        403,
        _l(
            "This launch was not started from Senda's own page. Please open Senda from your course."
        ),
        _l(
            "The hand-over of a cookieless launch was posted by another site's page (Origin or "
            "Sec-Fetch-Site). Only Senda's own launch page may redeem it."
        ),
    ),
    "cookies_blocked": Reason(
        401,
        _l("Your browser blocked Senda's cookies inside the course page."),
        _l(
            "Allow third-party cookies for Senda, enable the LMS's platform storage "
            "(lti_storage_target), or open Senda in a new window."
        ),
    ),
    "nonce_invalid": Reason(
        401,
        _l("This launch is not valid. Please open Senda again from your course."),
        _l("The token's nonce is missing or is not the one issued for this login."),
    ),
    "bad_algorithm": Reason(
        401,
        _l("This launch is not valid."),
        _l("Launch tokens must be signed with RS256 and carry a key id (kid)."),
    ),
    "unknown_key": Reason(
        401,
        _l("This launch is not valid."),
        _l("The token was signed with a key that is not in the platform's key set (JWKS URL)."),
    ),
    "key_set_unavailable": Reason(
        503,
        _l("Senda could not reach your LMS to check this launch. Please try again in a minute."),
        _l("The platform's key set URL did not answer. Check that it is reachable from Senda."),
    ),
    "bad_signature": Reason(
        401,
        _l("This launch is not valid."),
        _l("The token's signature does not verify with the platform's key."),
    ),
    "wrong_audience": Reason(
        401,
        _l("This launch is not valid."),
        _l("The token's audience (aud/azp) is not the client ID registered for this platform."),
    ),
    "bad_time": Reason(
        401,
        _l("This launch has expired. Please open Senda again from your course."),
        _l("The token is expired, too old or issued in the future. Check the servers' clocks."),
    ),
    "unknown_deployment": Reason(
        403,
        _l("Senda is not enabled for this part of your LMS yet."),
        _l(
            "Add the deployment ID with 'flask --app lti_tool platforms add-deployment', "
            "or in the config file."
        ),
    ),
    "deployment_mismatch": Reason(
        401,
        _l("This launch is not valid."),
        _l("The deployment ID of the token differs from the one given at login."),
    ),
    "target_mismatch": Reason(
        401,
        _l("This launch is not valid."),
        _l("The token's target_link_uri differs from the one given at login."),
    ),
    "wrong_version": Reason(
        400,
        _l("This LMS sent a kind of launch Senda does not understand."),
        _l("Senda supports LTI version 1.3.0 only."),
    ),
    "unknown_message_type": Reason(
        400,
        _l("This LMS sent a kind of launch Senda does not understand."),
        _l("Senda accepts LtiResourceLinkRequest and LtiDeepLinkingRequest messages."),
    ),
    "missing_claims": Reason(
        400,
        _l("Your LMS did not say who you are, so Senda cannot save your progress."),
        _l(
            "The launch needs the user (sub) and the resource link. In the tool's settings, "
            "enable sharing the user's identity with Senda."
        ),
    ),
    "unknown_role": Reason(
        403,
        _l(
            "Senda does not know your role in this course, so it cannot open. "
            "Ask your teacher to check that you are enrolled."
        ),
        _l(
            "The launch carried no context role Senda knows (Learner, Instructor, "
            "TeachingAssistant, ContentDeveloper, Administrator, Mentor, Manager, Member). "
            "Institution and system roles alone give no access to a course."
        ),
    ),
    "deep_linking_forbidden": Reason(
        403,
        _l("Only designers and facilitators can choose what to add to a course."),
        _l("Deep linking is offered to instructors and content developers only."),
    ),
    "session_ended": Reason(
        401,
        _l("Your access to Senda changed. Please open Senda again from your course."),
        _l(
            "The session ended because the platform was disabled, the person's role in the "
            "course changed, or she was erased."
        ),
    ),
    "session_expired": Reason(
        401,
        _l("Your session has ended. Please open Senda again from your course."),
        _l("Sessions last a limited time and belong to one LMS course."),
    ),
}


class LaunchRejected(Exception):
    """A login or launch that Senda refuses; the view renders REASONS[reason]."""

    def __init__(self, reason: str) -> None:
        assert reason in REASONS, reason
        super().__init__(reason)
        self.reason = reason
        # Login parameters to repeat the launch in a new window (cookies blocked in the iframe).
        self.relaunch: dict[str, str] = {}

    @property
    def status(self) -> int:
        return REASONS[self.reason].status
