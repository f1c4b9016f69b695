//! Every action from every state, by every kind of actor, against the transition table of the design (see the module docs of `workflow`).

use super::*;

const AUTHOR: UserId = 1;
const EDITOR: UserId = 2;
const ADMIN: UserId = 3;

fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap()
}

/// A valid instance of each action, for a translation that is live or not.
fn sample(kind: ActionKind, is_live: bool) -> Action {
    let correction = is_live.then(|| Correction::Major {
        note: "Corrected the date".into(),
    });
    match kind {
        ActionKind::Edit => Action::Edit,
        ActionKind::Submit => Action::Submit,
        ActionKind::Reject => Action::Reject {
            comment: "Check the figures".into(),
        },
        ActionKind::ApprovePublish => Action::ApprovePublish { correction },
        ActionKind::ApproveSchedule => Action::ApproveSchedule {
            at: now()
                .checked_add(jiff::SignedDuration::from_hours(1))
                .unwrap(),
            correction,
        },
        ActionKind::Unschedule => Action::Unschedule,
        ActionKind::PublishScheduled => Action::PublishScheduled,
        ActionKind::ForcePublish => Action::ForcePublish {
            reason: "Emergency".into(),
            correction,
        },
        ActionKind::Withdraw => Action::Withdraw {
            explanation: "Issued in error".into(),
        },
        ActionKind::Delete => Action::Delete,
    }
}

/// The transitions the design allows (the table in `workflow`'s module docs), written out independently of `next_state`:
/// (from, action, to, whether the translation may already be live).
const ALLOWED: &[(State, ActionKind, State)] = &[
    (State::Draft, ActionKind::Edit, State::Draft),
    (State::Rejected, ActionKind::Edit, State::Rejected),
    (State::Submitted, ActionKind::Edit, State::Submitted),
    (State::Published, ActionKind::Edit, State::Draft),
    (State::Draft, ActionKind::Submit, State::Submitted),
    (State::Rejected, ActionKind::Submit, State::Submitted),
    (State::Submitted, ActionKind::Reject, State::Rejected),
    (
        State::Submitted,
        ActionKind::ApprovePublish,
        State::Published,
    ),
    (
        State::Submitted,
        ActionKind::ApproveSchedule,
        State::Scheduled,
    ),
    (State::Scheduled, ActionKind::Unschedule, State::Submitted),
    (
        State::Scheduled,
        ActionKind::PublishScheduled,
        State::Published,
    ),
    (State::Draft, ActionKind::ForcePublish, State::Published),
    (State::Submitted, ActionKind::ForcePublish, State::Published),
    (State::Published, ActionKind::Withdraw, State::Withdrawn),
    (State::Draft, ActionKind::Delete, State::Deleted),
];

fn actors() -> Vec<Actor> {
    vec![
        Actor::User {
            id: AUTHOR,
            role: Role::Author,
        },
        Actor::User {
            id: EDITOR,
            role: Role::Editor,
        },
        Actor::User {
            id: ADMIN,
            role: Role::Admin,
        },
        Actor::Scheduler,
    ]
}

fn may_act(actor: Actor, kind: ActionKind) -> bool {
    match (actor, kind) {
        (Actor::Scheduler, k) => k == ActionKind::PublishScheduled,
        (Actor::User { .. }, ActionKind::PublishScheduled) => false,
        (Actor::User { .. }, ActionKind::Edit | ActionKind::Submit | ActionKind::Delete) => true,
        (Actor::User { role, .. }, _) => role != Role::Author,
    }
}

#[test]
fn every_transition_is_allowed_or_refused_as_designed() {
    let mut checked = 0;
    for state in State::ALL {
        for kind in ActionKind::ALL {
            for actor in actors() {
                // The newest revision is someone else's, so the two-person rule never applies here.
                let ctx = Context {
                    actor,
                    last_author: 99,
                    two_person_rule: true,
                    is_live: false,
                    now: now(),
                };
                let result = check(state, &sample(kind, false), &ctx);
                let expected = ALLOWED
                    .iter()
                    .find(|(from, k, _)| *from == state && *k == kind);
                match (expected, may_act(actor, kind)) {
                    (Some((_, _, to)), true) => {
                        let outcome =
                            result.unwrap_or_else(|e| panic!("{state} {kind} by {actor:?}: {e}"));
                        assert_eq!(outcome.next, *to, "{state} {kind}");
                        assert_eq!(outcome.publishes, *to == State::Published);
                        assert_eq!(outcome.flagged, kind == ActionKind::ForcePublish);
                    }
                    (_, false) => assert!(
                        matches!(
                            result,
                            Err(WorkflowError::Forbidden { .. }
                                | WorkflowError::SchedulerOnly { .. })
                        ),
                        "{state} {kind} by {actor:?} should be refused for the actor, got {result:?}"
                    ),
                    (None, true) => assert!(
                        matches!(result, Err(WorkflowError::NotFromState { .. })),
                        "{state} {kind} by {actor:?} should be refused for the state, got {result:?}"
                    ),
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 10 * 4);
}

fn editor_ctx(last_author: UserId, two_person_rule: bool) -> Context {
    Context {
        actor: Actor::User {
            id: EDITOR,
            role: Role::Editor,
        },
        last_author,
        two_person_rule,
        is_live: false,
        now: now(),
    }
}

#[test]
fn two_person_rule_stops_approving_your_own_revision() {
    for kind in [ActionKind::ApprovePublish, ActionKind::ApproveSchedule] {
        let own = check(
            State::Submitted,
            &sample(kind, false),
            &editor_ctx(EDITOR, true),
        );
        assert_eq!(own, Err(WorkflowError::TwoPersonRule));
        assert!(
            check(
                State::Submitted,
                &sample(kind, false),
                &editor_ctx(EDITOR, false)
            )
            .is_ok()
        );
        assert!(
            check(
                State::Submitted,
                &sample(kind, false),
                &editor_ctx(AUTHOR, true)
            )
            .is_ok()
        );
    }
    // Force publish is the logged exception, and rejecting your own work is always allowed.
    assert!(
        check(
            State::Submitted,
            &sample(ActionKind::ForcePublish, false),
            &editor_ctx(EDITOR, true)
        )
        .is_ok()
    );
    assert!(
        check(
            State::Submitted,
            &sample(ActionKind::Reject, false),
            &editor_ctx(EDITOR, true)
        )
        .is_ok()
    );
}

#[test]
fn required_words_are_required() {
    let ctx = editor_ctx(AUTHOR, true);
    let cases = [
        (
            State::Submitted,
            Action::Reject {
                comment: "  ".into(),
            },
            "comment",
        ),
        (
            State::Draft,
            Action::ForcePublish {
                reason: String::new(),
                correction: None,
            },
            "reason",
        ),
        (
            State::Published,
            Action::Withdraw {
                explanation: "\n".into(),
            },
            "explanation",
        ),
        (
            State::Submitted,
            Action::ApproveSchedule {
                at: now(),
                correction: None,
            },
            "publish_at",
        ),
    ];
    for (state, action, field) in cases {
        match check(state, &action, &ctx) {
            Err(WorkflowError::Invalid(inv)) => {
                assert!(inv.message_for(field).is_some(), "{field}: {inv}")
            }
            other => panic!("{field}: expected a field error, got {other:?}"),
        }
    }
}

#[test]
fn publishing_over_a_live_revision_is_a_correction() {
    let live = Context {
        is_live: true,
        ..editor_ctx(AUTHOR, true)
    };
    let none = Action::ApprovePublish { correction: None };
    assert!(
        matches!(check(State::Submitted, &none, &live), Err(WorkflowError::Invalid(i)) if i.message_for("correction").is_some())
    );
    let empty_note = Action::ApprovePublish {
        correction: Some(Correction::Major { note: " ".into() }),
    };
    assert!(
        matches!(check(State::Submitted, &empty_note, &live), Err(WorkflowError::Invalid(i)) if i.message_for("change_note").is_some())
    );
    let minor = Action::ApprovePublish {
        correction: Some(Correction::Minor),
    };
    assert!(check(State::Submitted, &minor, &live).is_ok());
    let first = editor_ctx(AUTHOR, true);
    assert!(matches!(
        check(State::Submitted, &minor, &first),
        Err(WorkflowError::Invalid(_))
    ));
}

#[test]
fn live_translations_cannot_be_deleted_and_messages_say_what_to_do() {
    let author = Context {
        actor: Actor::User {
            id: AUTHOR,
            role: Role::Author,
        },
        last_author: AUTHOR,
        two_person_rule: true,
        is_live: true,
        now: now(),
    };
    assert_eq!(
        check(State::Draft, &Action::Delete, &author),
        Err(WorkflowError::DeleteLive)
    );
    let err = check(
        State::Draft,
        &sample(ActionKind::ApprovePublish, false),
        &editor_ctx(AUTHOR, true),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot approve and publish a translation that is draft: submit it for review first"
    );
    let err = check(
        State::Submitted,
        &sample(ActionKind::ApprovePublish, false),
        &author,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "your role (author) cannot approve and publish; ask an editor"
    );
}

#[test]
fn available_actions_are_exactly_those_check_allows() {
    let roles = [Role::Author, Role::Editor, Role::Admin];
    for state in State::ALL {
        for role in roles {
            for is_live in [false, true] {
                let offered = available(state, role, is_live);
                for kind in ActionKind::ALL {
                    let ctx = Context {
                        actor: Actor::User { id: EDITOR, role },
                        last_author: 99,
                        two_person_rule: true,
                        is_live,
                        now: now(),
                    };
                    let allowed = check(state, &sample(kind, is_live), &ctx).is_ok();
                    assert_eq!(
                        offered.contains(&kind),
                        allowed,
                        "{state} {kind} by {role} (live: {is_live}): offered {offered:?}"
                    );
                }
            }
        }
    }
    assert_eq!(
        available(State::Submitted, Role::Author, false),
        [ActionKind::Edit]
    );
    assert!(available(State::Scheduled, Role::Editor, true).contains(&ActionKind::Unschedule));
}

#[test]
fn action_names_round_trip_and_bad_ones_name_the_field() {
    for kind in ActionKind::ALL {
        assert_eq!(kind.as_str().parse::<ActionKind>(), Ok(kind));
    }
    let err = "publish".parse::<ActionKind>().unwrap_err();
    assert!(
        err.message_for("action")
            .unwrap()
            .contains("approve_publish")
    );
}

#[test]
fn fields_become_the_action_that_uses_them() {
    let fields = ActionFields {
        comment: "Check the figures".into(),
        reason: "Emergency".into(),
        explanation: "Issued in error".into(),
        publish_at: None,
        correction: Some(Correction::Minor),
    };
    assert_eq!(
        fields.clone().into_action(ActionKind::Reject),
        Ok(Action::Reject {
            comment: "Check the figures".into()
        })
    );
    assert_eq!(
        fields.clone().into_action(ActionKind::ForcePublish),
        Ok(Action::ForcePublish {
            reason: "Emergency".into(),
            correction: Some(Correction::Minor)
        })
    );
    let missing_time = fields.into_action(ActionKind::ApproveSchedule).unwrap_err();
    assert!(missing_time.message_for("publish_at").is_some());
    for kind in ActionKind::ALL {
        let action = ActionFields::default().into_action(kind);
        match kind {
            ActionKind::ApproveSchedule => {}
            ActionKind::Edit | ActionKind::PublishScheduled => {
                assert!(action.unwrap_err().message_for("action").is_some())
            }
            _ => assert_eq!(action.unwrap().kind(), kind),
        }
    }
}
