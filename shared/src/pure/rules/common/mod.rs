//! Logic shared by several rules. A rule file imports from here, never from another rule file.

pub(crate) mod egress;
pub(crate) mod nacl;
pub(crate) mod openings;
pub(crate) mod presence;
pub(crate) mod self_traffic;
pub(crate) mod serverless;
pub(crate) mod vpc_attribute;
