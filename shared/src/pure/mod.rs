//! The pure core: the model of a region's network, the snapshot that carries it, the manifest
//! of the Databricks deployments, the index, routing and reachability over it, the rules, the
//! engine that runs them, the findings and their rendering. No AWS SDK type, no I/O beyond
//! reading snapshot and manifest files, no async, no feature needed.

pub mod baseline;
pub mod cidr;
pub mod deployment;
pub mod engine;
pub mod evidence;
pub mod fastmap;
pub mod finding;
pub mod flows;
pub mod index;
pub mod lifecycle;
pub mod manifest;
pub mod model;
pub mod nacl;
pub mod packet;
pub mod reachability;
pub mod render;
pub mod resolve;
pub mod routing;
pub mod rules;
pub mod services;
pub mod snapshot;
pub mod time;
pub mod view;
