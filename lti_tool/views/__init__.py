"""Pages, one blueprint per audience: participant, facilitator, designer; and the shared home."""
