"""Deep Linking 2.0, the protocol (https://www.imsglobal.org/spec/lti-dl/v2p0): the signed
response listing the chosen items. Each item is a resource link whose custom parameter
`senda_target` says what it opens, and, when it counts toward a grade, a line item (label,
scoreMaximum, resourceId, tag) so the LMS creates its gradebook column (Moodle creates none
otherwise)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from lti_tool.lti import keys

TAG = "senda"
DATA_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/data"


class SendaDeepLink(DeepLink):
    """pylti1p3's response, with an unguessable nonce and `data` echoed only if it was sent."""

    def _generate_nonce(self) -> str:
        return secrets.token_urlsafe(24)

    def get_message_jwt(self, resources: Any) -> dict[str, object]:
        message = super().get_message_jwt(resources)
        if message.get(DATA_CLAIM) is None:
            message.pop(DATA_CLAIM, None)
        return message


@dataclass(frozen=True)
class ContentItem:
    target: str  # the `senda_target` custom parameter
    title: str
    maximum: float | None  # None: not graded


def response_jwt(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    return_url: str,
    data: Any,
    launch_url: str,
    items: Sequence[ContentItem],
) -> str:
    """The signed LtiDeepLinkingResponse for the chosen items."""
    registration = keys.SigningRegistration()
    registration.set_issuer(issuer).set_client_id(client_id)
    resources = []
    for item in items:
        resource = (
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(item.title[:255])
            .set_custom_params({"senda_target": item.target})
        )
        if item.maximum is not None:
            resource.set_lineitem(
                LineItem()
                .set_label(item.title[:255])
                .set_score_maximum(item.maximum)
                .set_resource_id(item.target)
                .set_tag(TAG)
            )
        resources.append(resource)
    deep_link = SendaDeepLink(
        registration, deployment_id, {"deep_link_return_url": return_url, "data": data}
    )
    token: str = deep_link.get_response_jwt(resources)
    return token
