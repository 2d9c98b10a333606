// How the spec becomes Rust: the one definition of the progenitor settings,
// `include!`d by `build.rs` (the SDK's client) and `xtask/src/surface.rs` (the
// committed API surface), so the two can never disagree.

/// The progenitor settings of the SDK's generated types, with the
/// `schemars::JsonSchema` derive (feature `schemars` of the crate).
#[allow(dead_code)]
pub fn generation_settings() -> progenitor::GenerationSettings {
    generation_settings_with(true)
}

/// The progenitor settings; `json_schema` adds the `schemars::JsonSchema`
/// derive to every generated type.
pub fn generation_settings_with(json_schema: bool) -> progenitor::GenerationSettings {
    use progenitor::{GenerationSettings, InterfaceStyle, TagStyle};
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq");
    if json_schema {
        settings.with_derive("schemars::JsonSchema");
    }
    // `format: password` fields (client_secret, access_token) become a type
    // whose Debug is redacted. typify matches schemas without their metadata.
    for min_length in [None, Some(1)] {
        let schema = schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("password".into()),
            string: min_length.map(|n| {
                Box::new(schemars::schema::StringValidation {
                    min_length: Some(n),
                    ..Default::default()
                })
            }),
            ..Default::default()
        };
        settings.with_conversion(schema, "crate::Secret", std::iter::empty());
    }
    settings
}
