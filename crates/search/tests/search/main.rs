//! The index as its callers use it, on an archive written for these tests in Azerbaijani,
//! English and Russian.

mod disk;
mod fixtures;
mod matching;
mod results;
