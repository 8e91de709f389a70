"""Feedback and complaints from citizens ("phản ánh, kiến nghị"): what is sent, how it is kept,
answered and forgotten. The pages are in server.web.feedback and server.web.feedback_inbox."""
