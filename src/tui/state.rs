//! Everything the screen shows, owned by the loop and changed only by `update`. Drawing reads
//! it; nothing else writes it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::letter_pane::LetterPaneState;
use super::picker::PickerState;
use crate::domain::policy::{Flag, ProviderFacts};
use crate::domain::{Absence, Status, Task, TaskId};
use crate::report::handover::HandoverReport;
use crate::report::providers::ProvidersOverview;
use crate::store::{AuditEvent, Conflict, Note, StoredLetter, Target, TaskFilter};

/// How many rows the table keeps around the cursor. The mirror may hold a million tasks; the
/// screen only ever holds this window of them.
pub const WINDOW_MAX: usize = 600;
/// Rows fetched per page query.
pub const PAGE_ROWS: usize = 200;
/// Fetch the next page when the cursor comes this close to the window's edge.
pub const PREFETCH_MARGIN: usize = 60;

/// The loaded part of the current view: rows `offset .. offset + rows.len()` of `total`.
#[derive(Debug, Default)]
pub struct TaskWindow {
    pub rows: Vec<Task>,
    pub offset: u64,
    pub total: u64,
    /// Absolute index of the selected row (0-based) in the whole filtered list.
    pub selected: u64,
    /// Absolute index of the first row on screen: scrolling moves it only as far as needed to
    /// keep the cursor visible, so rows stay still under the reader's eye.
    pub top: u64,
    /// Where a move wanted the cursor beyond the loaded rows (page down at the window's edge):
    /// the cursor goes there when the page arrives, so the key press is not lost.
    pub wanted: Option<u64>,
    /// The rows are being replaced (a new search or filter, a jump to either end): until they
    /// arrive the title says so rather than claim a place among rows not yet read.
    pub loading: bool,
}

impl TaskWindow {
    pub fn selected_task(&self) -> Option<&Task> {
        let i = usize::try_from(self.selected.checked_sub(self.offset)?).ok()?;
        self.rows.get(i)
    }

    pub fn end(&self) -> u64 {
        self.offset + self.rows.len() as u64
    }

    /// Scrolls the least needed to show the cursor in `visible` rows, within the loaded rows.
    pub fn keep_cursor_visible(&mut self, visible: u64) {
        let visible = visible.max(1);
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + visible {
            self.top = self.selected + 1 - visible;
        }
        self.top = self.top.max(self.offset);
    }
}

/// The detail pane's extra rows for the selected task.
#[derive(Debug, Clone)]
pub struct Detail {
    pub task_id: TaskId,
    pub notes: Vec<Note>,
    pub letters: Vec<StoredLetter>,
    pub history: Vec<AuditEvent>,
    /// The other desk's version and our waiting changes, when sync found a conflict.
    pub conflict: Option<Conflict>,
}

/// Header counts, refreshed on start, after actions and on the slow tick: the application
/// layer's, so they count the overdue view's tasks.
pub use crate::app::overdue::HeaderCounts as Counts;

/// The screens; Tab and the number keys move between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// The inbox, oldest first, with search and filters.
    Triage,
    /// Unactioned tasks past or near their threshold, most overdue first, then stalled ones.
    Overdue,
    /// What the incoming shift inherits, and the sign-off.
    Handover,
    /// Each sender's figures and its stage on the LMC escalation ladder.
    Providers,
}

/// How many rows of each kind the overdue view holds, for its title.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OverdueSummary {
    pub overdue: usize,
    pub due_soon: usize,
    pub stalled: usize,
}

/// Which statuses the table shows; `s` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusView {
    /// The inbox proper: nobody has triaged these yet.
    New,
    Assigned,
    /// New and assigned: everything still needing someone.
    Open,
    Closed,
    All,
}

impl StatusView {
    #[must_use]
    pub fn next(self) -> StatusView {
        match self {
            StatusView::New => StatusView::Assigned,
            StatusView::Assigned => StatusView::Open,
            StatusView::Open => StatusView::Closed,
            StatusView::Closed => StatusView::All,
            StatusView::All => StatusView::New,
        }
    }

    pub fn statuses(self) -> Vec<Status> {
        match self {
            StatusView::New => vec![Status::New],
            StatusView::Assigned => vec![Status::Assigned],
            StatusView::Open => vec![Status::New, Status::Assigned],
            StatusView::Closed => vec![Status::Rejected, Status::Completed, Status::Cancelled],
            StatusView::All => Vec::new(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusView::New => "unactioned",
            StatusView::Assigned => "assigned",
            StatusView::Open => "open (unactioned and assigned)",
            StatusView::Closed => "closed",
            StatusView::All => "all tasks",
        }
    }
}

/// A one-line text input at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLine {
    pub purpose: InputPurpose,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPurpose {
    Search,
    Note { targets: Vec<Target> },
}

/// The modal on top of the screen, if any; keys go to it first.
#[derive(Debug)]
pub enum Modal {
    Help {
        scroll: u16,
    },
    Picker {
        picker: PickerState,
        targets: Vec<Target>,
    },
    Letter(LetterModal),
    Input(InputLine),
    /// A finished text to read and copy (an escalation letter); nothing is stored.
    Document(Document),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub text: String,
    pub scroll: u16,
}

#[derive(Debug)]
pub struct LetterModal {
    pub pane: LetterPaneState,
    pub targets: Vec<Target>,
    /// The task whose rendering the pane previews.
    pub task_id: TaskId,
    /// The latest rendering, to tell an edited text from the template's own.
    pub rendered: Option<(String, String)>,
}

/// Where background sync stands, for the header. Only a FHIR source syncs; a demo or file
/// mirror has no status and the header names the source instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// A cycle is under way.
    pub running: bool,
    /// The end of the last cycle that reached the server.
    pub last_ok: Option<DateTime<Utc>>,
    /// The first failed cycle since the last good one: the header says "offline since".
    pub offline_since: Option<DateTime<Utc>>,
    /// The last cycle's problem in a sentence (offline, misconfigured), if it had one.
    pub problem: Option<String>,
    /// Tasks waiting for someone to choose between this desk's change and another's.
    pub conflicts: u64,
}

/// A short message in the footer after an action or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub is_error: bool,
}

#[derive(Debug)]
pub struct AppState {
    pub practice: String,
    pub acting_user: String,
    /// What the header says about where tasks come from and how fresh they are.
    pub source_label: String,
    pub filter: TaskFilter,
    pub window: TaskWindow,
    pub detail: Option<Detail>,
    /// `None` until the first count arrives: the header says so rather than show zeros.
    pub counts: Option<Counts>,
    pub now: DateTime<Utc>,
    /// The newest page request; replies to older ones are dropped ("latest job wins").
    pub page_request: Option<u64>,
    pub detail_request: Option<u64>,
    pub next_request: u64,
    /// Rows visible in the table at the last resize, for page up/down.
    pub table_rows: u16,
    pub status_view: StatusView,
    pub view: View,
    /// The other views' windows, kept while they are not shown so going back keeps the place.
    pub parked: HashMap<View, TaskWindow>,
    /// The handover screen's report and how far it is scrolled when it lists no task (with
    /// tasks, the cursor decides what is in view). Its tasks are the window's rows.
    pub handover: Option<Box<HandoverReport>>,
    pub handover_scroll: u16,
    /// Lines the handover screen shows at once, from the last resize.
    pub handover_rows: u16,
    /// Enter on the handover screen opens the task under the cursor in the detail pane.
    pub handover_detail: bool,
    /// The providers screen's figures and the selected provider's row in them.
    pub providers: Option<Box<ProvidersOverview>>,
    pub provider_selected: usize,
    /// The overdue view: why each task is there (its explanation), and how many of each kind.
    pub overdue_why: HashMap<TaskId, String>,
    pub overdue_summary: OverdueSummary,
    /// Only tasks raising this LMC flag; `f` cycles through the flags.
    pub flag_filter: Option<Flag>,
    /// Marked tasks and the row version each had when marked.
    pub marked: BTreeMap<TaskId, i64>,
    pub modal: Option<Modal>,
    pub toast: Option<Toast>,
    /// Recorded absences, for the picker and the "away" warnings.
    pub absences: Vec<Absence>,
    /// Per provider, what the policy flags need (agreement, recent rejections).
    pub provider_facts: HashMap<String, ProviderFacts>,
    /// An action is on its way to the mirror; further actions wait for its answer.
    pub acting: bool,
    /// A rejection refused because a patient could be harmed: the tasks it was for and the
    /// change to send, confirmed, when the reject key is pressed again. Any other key drops it.
    pub pending_reject: Option<(Vec<Target>, super::msg::Change)>,
    /// The change on its way to the mirror and its tasks, until its answer comes.
    pub in_flight: Option<(Vec<Target>, super::msg::Change)>,
    /// Background sync with the FHIR server, when the source is one.
    pub sync: Option<SyncStatus>,
    pub quit: bool,
}

impl AppState {
    #[must_use]
    pub fn new(
        practice: String,
        acting_user: String,
        source_label: String,
        now: DateTime<Utc>,
    ) -> Self {
        AppState {
            practice,
            acting_user,
            source_label,
            filter: TaskFilter {
                statuses: vec![Status::New],
                ..TaskFilter::default()
            },
            window: TaskWindow::default(),
            detail: None,
            counts: None,
            now,
            page_request: None,
            detail_request: None,
            next_request: 1,
            table_rows: 10,
            status_view: StatusView::New,
            view: View::Triage,
            parked: HashMap::new(),
            handover: None,
            handover_scroll: 0,
            handover_rows: 20,
            handover_detail: false,
            providers: None,
            provider_selected: 0,
            overdue_why: HashMap::new(),
            overdue_summary: OverdueSummary::default(),
            flag_filter: None,
            marked: BTreeMap::new(),
            modal: None,
            toast: None,
            absences: Vec::new(),
            provider_facts: HashMap::new(),
            acting: false,
            pending_reject: None,
            in_flight: None,
            sync: None,
            quit: false,
        }
    }

    /// What an action applies to: every marked task, or else the selected one.
    pub fn targets(&self) -> Vec<Target> {
        if self.marked.is_empty() {
            self.window
                .selected_task()
                .map(|t| {
                    vec![Target {
                        id: t.id,
                        row_version: t.row_version,
                    }]
                })
                .unwrap_or_default()
        } else {
            self.marked
                .iter()
                .map(|(id, v)| Target {
                    id: *id,
                    row_version: *v,
                })
                .collect()
        }
    }

    pub fn take_request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }
}
