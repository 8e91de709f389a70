"""The sign-in page's policy with several server processes: ``form-action`` allows the
deployment's other processes (scheme and host only), nothing else is widened, and a
malformed address adds nothing."""

from __future__ import annotations

from server.app.security_headers import CONTENT_SECURITY_POLICY, policy_with_form_targets


def test_form_action_allows_the_other_processes_by_origin() -> None:
    policy = policy_with_form_targets(["http://10.0.0.6:8765/", "https://qms.tinh.example/ws",
                                       "http://10.0.0.6:8765"])
    assert "form-action 'self' http://10.0.0.6:8765 https://qms.tinh.example;" in policy
    assert policy.replace(" http://10.0.0.6:8765 https://qms.tinh.example", "") == \
        CONTENT_SECURITY_POLICY


def test_nothing_usable_leaves_the_policy_as_it_is() -> None:
    assert policy_with_form_targets([]) == CONTENT_SECURITY_POLICY
    assert policy_with_form_targets(["javascript:alert(1)", "ws://", "not an address",
                                     "data:text/html,x"]) == CONTENT_SECURITY_POLICY
