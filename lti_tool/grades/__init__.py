"""Grades for the LMS gradebook: what to send (outbox.py), how (ags.py), and who sends it
(worker.py). Assignment and Grade Services 2.0: https://www.imsglobal.org/spec/lti-ags/v2p0/"""
