//! The dashboard's pages, rendered on the server (maud): the layout and the small helpers in
//! `layout`, the overview and its charts, jobs, failed jobs, the other lists (batches,
//! workers, queues) and the login form. Changes are forms that POST (with the CSRF token) and
//! answer with a redirect back; destructive ones over many jobs ask for a confirmation first.

pub mod charts;
pub mod failed;
pub mod jobs;
pub mod layout;
pub mod lists;
pub mod login;
pub mod overview;
