//! Progress of long commands (reindex, backup, restore; later imports and exports) on standard
//! error: a bar redrawn in place on a terminal, plain lines every tenth of the way otherwise
//! (logs, CI), so an operator always sees that the work moves and how far it is.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The shortest time between two redraws of the bar.
const REDRAW: Duration = Duration::from_millis(100);

/// One task's progress display.
pub(crate) struct Progress {
    what: &'static str,
    terminal: bool,
    started: Instant,
    last_draw: Option<Instant>,
    last_tenth: u64,
}

impl Progress {
    /// Starts showing the progress of `what` ("indexing").
    pub(crate) fn new(what: &'static str) -> Self {
        Self {
            what,
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_draw: None,
            last_tenth: 0,
        }
    }

    /// Reports `done` of `total` items.
    pub(crate) fn update(&mut self, done: u64, total: u64) {
        let finished = done >= total;
        if self.terminal {
            let due = self.last_draw.is_none_or(|at| at.elapsed() >= REDRAW);
            if due || finished {
                self.last_draw = Some(Instant::now());
                self.draw(done, total);
            }
        } else {
            let tenth = (done * 10).checked_div(total).unwrap_or(10);
            if tenth > self.last_tenth || (finished && self.last_tenth < 10) {
                self.last_tenth = tenth.max(u64::from(finished) * 10);
                eprintln!("{} {}", self.what, self.figures(done, total));
            }
        }
    }

    /// Ends the display (the bar's line is kept).
    pub(crate) fn finish(&mut self) {
        if self.terminal && self.last_draw.is_some() {
            eprintln!();
        }
    }

    fn draw(&self, done: u64, total: u64) {
        const WIDTH: u64 = 30;
        let filled = (done.min(total) * WIDTH)
            .checked_div(total)
            .unwrap_or(WIDTH) as usize;
        let bar = format!(
            "{}{}",
            "#".repeat(filled),
            "-".repeat(WIDTH as usize - filled)
        );
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{bar}] {}\x1b[K",
            self.what,
            self.figures(done, total)
        );
        let _ = err.flush();
    }

    fn figures(&self, done: u64, total: u64) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            done as f64 / seconds
        } else {
            0.0
        };
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        format!("{done}/{total} ({percent}%, {rate:.0}/s)")
    }
}
