"""The LTI 1.3 protocol: login, launch, key sets, registration, deep linking and services.

Specs: LTI Core 1.3 (https://www.imsglobal.org/spec/lti/v1p3/), 1EdTech Security Framework 1.0
(https://www.imsglobal.org/spec/security/v1p0/), Deep Linking 2.0, AGS 2.0, NRPS 2.0,
Dynamic Registration 1.0, and the client-side postMessage storage drafts (lti-cs-oidc, lti-pm-s).
"""
