//! Black-box tests through the HTTP surface and the command line; one binary for all of them.

mod helpers;

mod access_matrix;
mod admin;
mod album_groups;
mod album_members;
mod albums;
mod api_docs;
mod bombs;
mod browser;
mod cli;
mod config;
mod deploy;
mod fuzz;
mod gallery;
mod gallery_api;
mod gallery_browser;
mod library;
mod library_links;
mod load;
mod oidc;
mod oidc_e2e;
mod owners;
mod pages;
mod revocation;
mod security;
mod sessions;
mod share_links;
mod sharing_browser;
mod sign_in;
mod slow_clients;
mod thumbnails;
mod upload;
