"""Registering the demo LMS with the tool it runs beside (same database, out-of-band keys)."""

from __future__ import annotations

from lti_tool.demo import people
from lti_tool.demo import platform as demo
from lti_tool.lti import keys, registry
from lti_tool.models import Platform, db


def register_demo_platform() -> int:
    """Idempotent: the demo platform and its deployment, with its public key set stored, as an
    LMS administrator would paste a platform's key into the tool."""
    base = demo.issuer()
    platform: Platform = registry.upsert_platform(
        {
            "issuer": base,
            "client_id": demo.CLIENT_ID,
            "name": "Senda demo LMS",
            "auth_login_url": base + "/auth",
            "auth_token_url": base + "/token",
            "key_set_url": base + "/jwks",
            "product": "senda-demo",
            "deployment_ids": [demo.DEPLOYMENT_ID],
        },
        source="demo",
    )
    platform.key_set = demo_jwks()
    platform.active = True
    db.session.commit()
    keys.ensure_current_key()
    _grant_programme_roles(platform.id)
    return platform.id


def _grant_programme_roles(platform_id: int) -> None:
    """The demo's programme team, mentor, tutor and support lead hold their programme roles
    from the start, as if the programme team had granted them."""
    from lti_tool.actor import Role
    from lti_tool.services import mentoring, programme

    for person in people.PEOPLE:
        for role in person.grants:
            programme.grant_for_demo(platform_id, person.id, person.name, Role(role))
        if "mentor" in person.grants:  # her profile and two upcoming sessions
            mentoring.seed_demo(platform_id, person.id)


def demo_jwks() -> dict[str, list[dict[str, object]]]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = serialization.load_pem_private_key(
        demo.platform_private_pem().encode(), password=None
    )
    assert isinstance(private, rsa.RSAPrivateKey)
    return {"keys": [keys.public_jwk(private.public_key())]}
