//! The seed's program: each thread binds its `student`, `process_student` reads it unpassed.

use std::cell::RefCell;
use std::fmt;

use crate::sync::{note, thread, thread_local};

use super::{Context, ThreadContext};

// ANCHOR: school
thread_local! {
    static STUDENT_SLOT: RefCell<Option<String>> = RefCell::new(None);
}

/// The seed's `local_school`: one global name, one `student` per thread.
pub static LOCAL_SCHOOL: ThreadContext<String> = ThreadContext::new(&STUDENT_SLOT);

/// `process_student()` found no student bound on this thread (Python raises `AttributeError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoStudent;

impl fmt::Display for NoStudent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no student is bound on this thread; call process_thread(name) first")
    }
}

impl std::error::Error for NoStudent {}

/// The seed's `process_student()`: greets the student bound on the calling thread.
pub fn process_student(school: &impl Context<String>) -> Result<String, NoStudent> {
    let student = school.get().ok_or(NoStudent)?;
    note(|| format!("process_student: read {student}"));
    let current = thread::current();
    let thread_name = current.name().unwrap_or("unnamed");
    Ok(format!("Hello, {student} (in {thread_name})"))
}

/// The seed's `process_thread(name)`: binds the student, then calls `process_student`.
pub fn process_thread(school: &impl Context<String>, name: &str) -> Result<String, NoStudent> {
    note(|| format!("process_thread: bind {name}"));
    school.set(name.to_owned());
    process_student(school)
}
// ANCHOR_END: school
