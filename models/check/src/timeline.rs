//! A failing interleaving as a per-thread timeline, in text and as an SVG picture.
//!
//! The events come from the trace the facade's model backend records while a failing schedule
//! is replayed (see [`harness::replay`](crate::harness::replay)): one row per operation, in the
//! order the checker ran them, in the column of the thread that ran it. The last line says how
//! the execution failed: the assertion that broke, or, for a deadlock, where each blocked
//! thread waits.

use std::fmt::Write as _;

use threadproof_trace::Event;

use crate::harness::Kind;

/// A failing execution, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The operations, in execution order.
    pub events: Vec<Event>,
    /// Operations past the trace's cap, not shown.
    pub dropped: usize,
    /// How the execution ended.
    pub ending: String,
}

/// The widest a cell may be in the text rendering; longer operations are cut with `…`.
const CELL: usize = 40;

impl Timeline {
    /// Builds the timeline of a failure of `kind` with panic `message`.
    pub fn new(events: Vec<Event>, dropped: usize, kind: Kind, message: &str) -> Timeline {
        let ending = ending(&events, kind, message);
        Timeline {
            events,
            dropped,
            ending,
        }
    }

    /// Threads in order of appearance — spawned ones when they are spawned — `main` first.
    pub fn threads(&self) -> Vec<&str> {
        let mut threads: Vec<&str> = vec!["main"];
        for e in &self.events {
            let spawned = e.what.strip_prefix("spawn ");
            for t in [Some(e.thread.as_str()), spawned].into_iter().flatten() {
                if !threads.contains(&t) {
                    threads.push(t);
                }
            }
        }
        threads
    }

    /// The number of operations shown.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when nothing was traced.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// One column per thread, one row per operation, then the failure.
    pub fn render_text(&self) -> String {
        let threads = self.threads();
        let mut widths: Vec<usize> = threads.iter().map(|t| t.chars().count()).collect();
        for e in &self.events {
            let col = column(&threads, &e.thread);
            widths[col] = widths[col].max(e.what.chars().count().min(CELL));
        }
        let mut out = String::new();
        let row = |out: &mut String, step: &str, col: Option<usize>, text: &str| {
            let mut line = format!("{step:>4}  ");
            for (i, w) in widths.iter().enumerate() {
                let cell = if col == Some(i) || col.is_none() {
                    cut(if col.is_none() { threads[i] } else { text })
                } else {
                    String::new()
                };
                let _ = write!(line, "{cell:<w$}  ");
            }
            out.push_str(line.trim_end());
            out.push('\n');
        };
        row(&mut out, "step", None, "");
        for (i, e) in self.events.iter().enumerate() {
            row(
                &mut out,
                &(i + 1).to_string(),
                Some(column(&threads, &e.thread)),
                &e.what,
            );
        }
        if self.dropped > 0 {
            let _ = writeln!(out, "   …  ({} more operations not kept)", self.dropped);
        }
        let _ = writeln!(out, "  !!  {}", self.ending);
        out
    }

    /// The same timeline as an SVG picture: a lifeline per thread, a dot and a label per
    /// operation, the failure in red at the bottom.
    pub fn render_svg(&self, title: &str) -> String {
        let threads = self.threads();
        let (col_w, row_h, left, top) = (290usize, 20usize, 50usize, 62usize);
        let width = left + col_w * threads.len() + 20;
        let height = top + row_h * (self.events.len() + 1) + 40;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">"#
        );
        let _ = writeln!(
            svg,
            r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
        );
        let _ = writeln!(
            svg,
            r#"<text x="10" y="20" font-size="14" font-weight="bold">{}</text>"#,
            xml(title)
        );
        for (i, t) in threads.iter().enumerate() {
            let x = left + col_w * i;
            let _ = writeln!(
                svg,
                r#"<text x="{x}" y="{}" font-weight="bold">{}</text>"#,
                top - 18,
                xml(t)
            );
            let _ = writeln!(
                svg,
                r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#999999"/>"##,
                top - 10,
                top + row_h * self.events.len()
            );
        }
        for (i, e) in self.events.iter().enumerate() {
            let x = left + col_w * column(&threads, &e.thread);
            let y = top + row_h * i + 4;
            let _ = writeln!(
                svg,
                r##"<text x="8" y="{}" fill="#999999">{}</text>"##,
                y + 4,
                i + 1
            );
            let _ = writeln!(svg, r##"<circle cx="{x}" cy="{y}" r="4" fill="#3366cc"/>"##);
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}">{}</text>"#,
                x + 8,
                y + 4,
                xml(&cut(&e.what))
            );
        }
        let _ = writeln!(
            svg,
            r##"<text x="10" y="{}" fill="#cc0000" font-weight="bold">{}</text>"##,
            top + row_h * self.events.len() + 20,
            xml(&self.ending)
        );
        svg.push_str("</svg>\n");
        svg
    }
}

fn column(threads: &[&str], thread: &str) -> usize {
    threads.iter().position(|t| *t == thread).unwrap_or(0)
}

fn cut(s: &str) -> String {
    if s.chars().count() <= CELL {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(CELL - 1).collect();
        t.push('…');
        t
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How the execution ended, in words: the broken assertion, or for a deadlock, where each
/// thread that never finished is blocked (its last operation).
fn ending(events: &[Event], kind: Kind, message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    if kind != Kind::Deadlock {
        return format!("{kind}: {}", strip_tag(first));
    }
    let mut last: Vec<(&str, &str)> = Vec::new();
    for e in events {
        match last.iter_mut().find(|(t, _)| *t == e.thread) {
            Some(slot) => slot.1 = &e.what,
            None => last.push((&e.thread, &e.what)),
        }
    }
    let blocked: Vec<String> = last
        .iter()
        .filter(|(_, what)| what.ends_with(": waiting") || what.starts_with("wait"))
        .map(|(thread, what)| format!("{thread} waits in {what}"))
        .collect();
    if blocked.is_empty() {
        format!("deadlock: {first}")
    } else {
        format!("deadlock: {}", blocked.join(", "))
    }
}

fn strip_tag(message: &str) -> &str {
    match message.strip_prefix('[').and_then(|m| m.split_once("] ")) {
        Some((_, rest)) => rest,
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(thread: &str, what: &str) -> Event {
        Event {
            thread: thread.into(),
            what: what.into(),
        }
    }

    #[test]
    fn a_deadlock_ends_with_where_each_blocked_thread_waits() {
        let events = vec![
            ev("main", "spawn t1"),
            ev("t1", "locked (a.rs:1)"),
            ev("main", "lock (a.rs:2): waiting"),
            ev("t1", "wait (a.rs:3)"),
        ];
        let t = Timeline::new(events, 0, Kind::Deadlock, "deadlock; threads = ...");
        assert_eq!(
            t.ending,
            "deadlock: main waits in lock (a.rs:2): waiting, t1 waits in wait (a.rs:3)"
        );
    }

    #[test]
    fn text_puts_each_operation_in_its_threads_column() {
        let events = vec![ev("main", "spawn t1"), ev("t1", "load (x.rs:9) -> 0")];
        let t = Timeline::new(events, 0, Kind::LostUpdate, "[lost update] got 1");
        let text = t.render_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "step  main      t1");
        assert_eq!(lines[1], "   1  spawn t1");
        assert_eq!(lines[2], "   2            load (x.rs:9) -> 0");
        assert_eq!(lines[3], "  !!  lost update: got 1");
        assert!(t.render_svg("x <y>").contains("x &lt;y&gt;"));
    }
}
