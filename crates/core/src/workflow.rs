//! The workflow of a translation, after GOV.UK's publisher.
//!
//! ```text
//! submit                 draft | rejected   → submitted
//! reject (comment)       submitted          → rejected
//! approve and publish    submitted          → published
//! approve and schedule   submitted          → scheduled      (a time in the future)
//! unschedule             scheduled          → submitted
//! publish scheduled      scheduled          → published      (the scheduler only)
//! force publish (reason) draft | submitted  → published      (flagged for review)
//! withdraw (explanation) published          → withdrawn
//! edit                   draft, rejected, submitted stay; published → draft (a new revision)
//! delete                 draft, never published → deleted
//! ```
//!
//! A translation's *state* is the state of its newest revision; what readers see is its *live*
//! revision, which stays in place while a correction is drafted over it. Publishing over a live
//! revision is a correction and needs a [`Correction`]: major with a public note, or minor.
//! [`check`] is the only place these rules are decided.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::user::{Capability, Role, UserId};

/// The workflow state of a translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Being written.
    Draft,
    /// Waiting for review.
    Submitted,
    /// Sent back with a comment.
    Rejected,
    /// Approved, to be published at a set time.
    Scheduled,
    /// Public.
    Published,
    /// Taken down; the page stays with a public explanation.
    Withdrawn,
    /// A draft thrown away before it was ever published.
    Deleted,
}

impl State {
    /// Every state, in workflow order.
    pub const ALL: [State; 7] = [
        State::Draft,
        State::Submitted,
        State::Rejected,
        State::Scheduled,
        State::Published,
        State::Withdrawn,
        State::Deleted,
    ];

    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Rejected => "rejected",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
            Self::Deleted => "deleted",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a workflow state"))
    }
}

/// How a change to a published translation is shown to readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Correction {
    /// A change of substance: the note is shown publicly ("Corrected the date").
    Major {
        /// The public change note.
        note: String,
    },
    /// A typo or formatting fix: no note is shown, the revision stays in the history.
    Minor,
}

impl Correction {
    /// The public note, for a major correction.
    pub fn note(&self) -> Option<&str> {
        match self {
            Self::Major { note } => Some(note),
            Self::Minor => None,
        }
    }
}

/// What someone asks the workflow to do, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Save a new revision.
    Edit,
    /// Ask for review.
    Submit,
    /// Send back, with a comment for the author.
    Reject {
        /// Why, for the author.
        comment: String,
    },
    /// Approve and publish now.
    ApprovePublish {
        /// Required when the translation is already live.
        correction: Option<Correction>,
    },
    /// Approve and publish at `at`.
    ApproveSchedule {
        /// When to publish; must be in the future.
        at: Timestamp,
        /// Required when the translation is already live.
        correction: Option<Correction>,
    },
    /// Cancel a scheduled publication; back to review.
    Unschedule,
    /// The scheduler publishing a scheduled translation whose time has come.
    PublishScheduled,
    /// Publish without review: an editor's emergency exit, logged and flagged.
    ForcePublish {
        /// Why review was skipped; kept in the audit log.
        reason: String,
        /// Required when the translation is already live.
        correction: Option<Correction>,
    },
    /// Take a published translation down, keeping its page with an explanation.
    Withdraw {
        /// The public explanation shown on the page.
        explanation: String,
    },
    /// Throw away a draft that was never published.
    Delete,
}

/// The name of an action, for messages, the audit log and URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// See [`Action::Edit`].
    Edit,
    /// See [`Action::Submit`].
    Submit,
    /// See [`Action::Reject`].
    Reject,
    /// See [`Action::ApprovePublish`].
    ApprovePublish,
    /// See [`Action::ApproveSchedule`].
    ApproveSchedule,
    /// See [`Action::Unschedule`].
    Unschedule,
    /// See [`Action::PublishScheduled`].
    PublishScheduled,
    /// See [`Action::ForcePublish`].
    ForcePublish,
    /// See [`Action::Withdraw`].
    Withdraw,
    /// See [`Action::Delete`].
    Delete,
}

impl ActionKind {
    /// Every action.
    pub const ALL: [ActionKind; 10] = [
        ActionKind::Edit,
        ActionKind::Submit,
        ActionKind::Reject,
        ActionKind::ApprovePublish,
        ActionKind::ApproveSchedule,
        ActionKind::Unschedule,
        ActionKind::PublishScheduled,
        ActionKind::ForcePublish,
        ActionKind::Withdraw,
        ActionKind::Delete,
    ];

    /// The action's name in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Submit => "submit",
            Self::Reject => "reject",
            Self::ApprovePublish => "approve_publish",
            Self::ApproveSchedule => "approve_schedule",
            Self::Unschedule => "unschedule",
            Self::PublishScheduled => "publish_scheduled",
            Self::ForcePublish => "force_publish",
            Self::Withdraw => "withdraw",
            Self::Delete => "delete",
        }
    }

    /// What a person needs to be allowed to ask for this action; `None` for the scheduler's
    /// own action, which no person may take.
    pub fn capability(self) -> Option<Capability> {
        match self {
            Self::Edit | Self::Submit | Self::Delete => Some(Capability::Write),
            Self::PublishScheduled => None,
            _ => Some(Capability::Review),
        }
    }

    /// The action in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Submit => "submit for review",
            Self::Reject => "reject",
            Self::ApprovePublish => "approve and publish",
            Self::ApproveSchedule => "approve and schedule",
            Self::Unschedule => "unschedule",
            Self::PublishScheduled => "publish on schedule",
            Self::ForcePublish => "force publish",
            Self::Withdraw => "withdraw",
            Self::Delete => "delete",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = Invalid;

    /// Reads an action's name as forms and the API send it; the error names the `action` field
    /// and lists what a person may ask for.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::field(
                    "action",
                    format!(
                        "`{s}` is not an action: use submit, reject, approve_publish, \
                         approve_schedule, unschedule, force_publish, withdraw or delete"
                    ),
                )
            })
    }
}

/// What an action may carry, as a form or an API request sends it. Every surface fills this in
/// and turns it into an [`Action`] with [`ActionFields::into_action`], so they cannot disagree
/// on which field belongs to which action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFields {
    /// For reject: the comment for the author.
    pub comment: String,
    /// For force publish: why review was skipped.
    pub reason: String,
    /// For withdraw: the public explanation.
    pub explanation: String,
    /// For approve and schedule: when. The surface parses its own time format and leaves this
    /// empty when none was given.
    pub publish_at: Option<Timestamp>,
    /// For publishing over a live revision.
    pub correction: Option<Correction>,
}

impl ActionFields {
    /// The action `kind` a person asked for, with the fields it uses; the others are ignored.
    /// Editing is saving a revision and publishing on schedule is the scheduler's, so neither
    /// can be asked for this way. Whether the values are acceptable (non-empty comment, future
    /// time …) is [`check`]'s business.
    pub fn into_action(self, kind: ActionKind) -> Result<Action, Invalid> {
        let Self {
            comment,
            reason,
            explanation,
            publish_at,
            correction,
        } = self;
        Ok(match kind {
            ActionKind::Edit | ActionKind::PublishScheduled => {
                return Err(Invalid::field(
                    "action",
                    format!(
                        "`{kind}` is not something to ask for: save the text to edit it; the \
                         scheduler publishes scheduled translations by itself"
                    ),
                ));
            }
            ActionKind::Submit => Action::Submit,
            ActionKind::Reject => Action::Reject { comment },
            ActionKind::ApprovePublish => Action::ApprovePublish { correction },
            ActionKind::ApproveSchedule => Action::ApproveSchedule {
                at: publish_at
                    .ok_or_else(|| Invalid::field("publish_at", "choose when to publish"))?,
                correction,
            },
            ActionKind::Unschedule => Action::Unschedule,
            ActionKind::ForcePublish => Action::ForcePublish { reason, correction },
            ActionKind::Withdraw => Action::Withdraw { explanation },
            ActionKind::Delete => Action::Delete,
        })
    }
}

impl Action {
    /// The action's name.
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Edit => ActionKind::Edit,
            Self::Submit => ActionKind::Submit,
            Self::Reject { .. } => ActionKind::Reject,
            Self::ApprovePublish { .. } => ActionKind::ApprovePublish,
            Self::ApproveSchedule { .. } => ActionKind::ApproveSchedule,
            Self::Unschedule => ActionKind::Unschedule,
            Self::PublishScheduled => ActionKind::PublishScheduled,
            Self::ForcePublish { .. } => ActionKind::ForcePublish,
            Self::Withdraw { .. } => ActionKind::Withdraw,
            Self::Delete => ActionKind::Delete,
        }
    }

    /// The correction this action publishes with, if any.
    pub fn correction(&self) -> Option<&Correction> {
        match self {
            Self::ApprovePublish { correction }
            | Self::ApproveSchedule { correction, .. }
            | Self::ForcePublish { correction, .. } => correction.as_ref(),
            _ => None,
        }
    }
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person.
    User {
        /// Their id.
        id: UserId,
        /// Their role.
        role: Role,
    },
    /// The scheduled-publication job.
    Scheduler,
}

/// What [`check`] needs to know besides the state and the action.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Who acts.
    pub actor: Actor,
    /// The author of the translation's newest revision.
    pub last_author: UserId,
    /// The site's two-person rule setting.
    pub two_person_rule: bool,
    /// Whether readers already see a revision of this translation.
    pub is_live: bool,
    /// The current time, for scheduling.
    pub now: Timestamp,
}

/// What an allowed action leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The translation's next state.
    pub next: State,
    /// Whether the newest revision becomes the live one now.
    pub publishes: bool,
    /// Whether the action is flagged for retrospective review (force publish).
    pub flagged: bool,
}

/// Why the workflow refused an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The actor's role does not allow the action.
    #[error("your role ({role}) cannot {}; ask an editor", action.describe())]
    Forbidden {
        /// What was attempted.
        action: ActionKind,
        /// The actor's role.
        role: Role,
    },
    /// Only the scheduler publishes on schedule, and it does nothing else.
    #[error("only the scheduler can {}", action.describe())]
    SchedulerOnly {
        /// What was attempted.
        action: ActionKind,
    },
    /// The action does not apply in the current state.
    #[error("cannot {} a translation that is {state}{}", action.describe(), hint(*action, *state))]
    NotFromState {
        /// What was attempted.
        action: ActionKind,
        /// The current state.
        state: State,
    },
    /// Deleting is only for drafts that were never published.
    #[error("a translation that has been published cannot be deleted; withdraw it instead")]
    DeleteLive,
    /// The two-person rule: the approver wrote the newest revision.
    #[error(
        "the two-person rule is on: you wrote the latest revision, so another editor must approve it"
    )]
    TwoPersonRule,
    /// Something the action needs is missing or wrong.
    #[error("{0}")]
    Invalid(Invalid),
}

fn hint(action: ActionKind, state: State) -> &'static str {
    match (action, state) {
        (
            ActionKind::ApprovePublish | ActionKind::ApproveSchedule | ActionKind::Reject,
            State::Draft | State::Rejected,
        ) => ": submit it for review first",
        (ActionKind::Edit, State::Scheduled) => ": unschedule it first",
        (_, State::Withdrawn) => ": a withdrawn translation is final",
        (_, State::Deleted) => ": it has been deleted",
        _ => "",
    }
}

/// Decides whether `action` may happen to a translation in `state`, and what follows.
pub fn check(state: State, action: &Action, ctx: &Context) -> Result<Outcome, WorkflowError> {
    let kind = action.kind();
    check_actor(kind, ctx.actor)?;
    let next = next_state(kind, state)?;
    if kind == ActionKind::Delete && ctx.is_live {
        return Err(WorkflowError::DeleteLive);
    }
    if let (ActionKind::ApprovePublish | ActionKind::ApproveSchedule, Actor::User { id, .. }) =
        (kind, ctx.actor)
        && ctx.two_person_rule
        && id == ctx.last_author
    {
        return Err(WorkflowError::TwoPersonRule);
    }
    check_inputs(action, ctx).map_err(WorkflowError::Invalid)?;
    Ok(Outcome {
        next,
        publishes: next == State::Published,
        flagged: kind == ActionKind::ForcePublish,
    })
}

/// The actions a person with `role` may ask for on a translation in `state`, in
/// [`ActionKind::ALL`] order: what the editor offers as buttons. It applies the same rules as
/// [`check`] except those that depend on the request's own fields (comments, times, change
/// notes) and on who wrote the newest revision (the two-person rule, which `check` explains
/// when it refuses).
pub fn available(state: State, role: Role, is_live: bool) -> Vec<ActionKind> {
    let actor = Actor::User { id: 0, role };
    ActionKind::ALL
        .into_iter()
        .filter(|&kind| {
            check_actor(kind, actor).is_ok()
                && next_state(kind, state).is_ok()
                && !(kind == ActionKind::Delete && is_live)
        })
        .collect()
}

fn check_actor(kind: ActionKind, actor: Actor) -> Result<(), WorkflowError> {
    match (actor, kind) {
        (Actor::Scheduler, ActionKind::PublishScheduled) => Ok(()),
        (Actor::Scheduler, _) | (Actor::User { .. }, ActionKind::PublishScheduled) => {
            Err(WorkflowError::SchedulerOnly { action: kind })
        }
        (Actor::User { role, .. }, _) => match kind.capability() {
            Some(needed) if role.can(needed) => Ok(()),
            _ => Err(WorkflowError::Forbidden { action: kind, role }),
        },
    }
}

fn next_state(kind: ActionKind, state: State) -> Result<State, WorkflowError> {
    use ActionKind as A;
    use State as S;
    Ok(match (kind, state) {
        (A::Edit, S::Draft | S::Published) => S::Draft,
        (A::Edit, S::Rejected) => S::Rejected,
        (A::Edit, S::Submitted) => S::Submitted,
        (A::Submit, S::Draft | S::Rejected) => S::Submitted,
        (A::Reject, S::Submitted) => S::Rejected,
        (A::ApprovePublish, S::Submitted) => S::Published,
        (A::ApproveSchedule, S::Submitted) => S::Scheduled,
        (A::Unschedule, S::Scheduled) => S::Submitted,
        (A::PublishScheduled, S::Scheduled) => S::Published,
        (A::ForcePublish, S::Draft | S::Submitted) => S::Published,
        (A::Withdraw, S::Published) => S::Withdrawn,
        (A::Delete, S::Draft) => S::Deleted,
        _ => {
            return Err(WorkflowError::NotFromState {
                action: kind,
                state,
            });
        }
    })
}

fn check_inputs(action: &Action, ctx: &Context) -> Result<(), Invalid> {
    let mut invalid = Invalid::default();
    match action {
        Action::Reject { comment } => {
            crate::validate::required_text(&mut invalid, "comment", comment, 5000);
        }
        Action::ForcePublish { reason, .. } => {
            crate::validate::required_text(&mut invalid, "reason", reason, 5000);
        }
        Action::Withdraw { explanation } => {
            crate::validate::required_text(&mut invalid, "explanation", explanation, 5000);
        }
        Action::ApproveSchedule { at, .. } if *at <= ctx.now => {
            invalid.push("publish_at", "must be in the future");
        }
        _ => {}
    }
    let publishes_now_or_later = matches!(
        action.kind(),
        ActionKind::ApprovePublish | ActionKind::ApproveSchedule | ActionKind::ForcePublish
    );
    if publishes_now_or_later {
        match (ctx.is_live, action.correction()) {
            (true, None) => invalid.push(
                "correction",
                "this translation is already published: say whether the change is major (with a \
                 public change note) or minor",
            ),
            (true, Some(Correction::Major { note })) => {
                crate::validate::required_text(&mut invalid, "change_note", note, 1000);
            }
            (false, Some(_)) => invalid.push(
                "correction",
                "a first publication has no change note: leave the correction empty",
            ),
            _ => {}
        }
    }
    invalid.into_result(())
}

#[cfg(test)]
mod tests;
