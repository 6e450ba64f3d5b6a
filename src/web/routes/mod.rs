//! Route handlers, one file per audience: the public help center pages, the
//! JSON API, and static assets.

pub mod agent;
pub mod api;
pub mod article;
pub mod assets;
pub mod contact;
pub mod form;
pub mod help_center;
pub mod page;
pub mod search_page;
