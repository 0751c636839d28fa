"""The built-in demo LMS: a genuine LTI 1.3 platform (built on the `lti1p3platform` package, not
on Senda's own LTI code) with its own issuer and key. `make run` switches it on so a newcomer can
launch Senda as a participant, facilitator or designer and watch grades arrive. Production
configurations leave it off (`[demo] enabled = false`)."""
