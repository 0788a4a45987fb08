//! AL0xx: problems reading the input. The loader and the model make these findings; the files
//! here hold the rules' metadata and documents.

pub mod al001_invalid_yaml;
pub mod al002_invalid_resource;
pub mod al003_templated_file;
pub mod al004_duplicate_resource;
pub mod al005_unused_suppression;
pub mod al006_kustomization_not_rendered;
