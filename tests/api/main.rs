//! Black-box tests through the HTTP surface and the command line; one binary for all of them.

mod helpers;

mod library;
mod thumbnails;
mod upload;

mod cli;
mod config;
mod pages;
mod security;
mod sessions;
mod sign_in;
