"""Services: load rows, call the pure rules in `courses/`, save, commit once. Views stay thin."""
