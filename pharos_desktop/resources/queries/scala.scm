; Pharos tag query for Scala. Capture names are documented in python.scm.

(class_definition name: (identifier) @name) @definition.class
(object_definition name: (identifier) @name) @definition.class
(trait_definition name: (identifier) @name) @definition.trait
(enum_definition name: (identifier) @name) @definition.enum
(function_definition name: (identifier) @name) @definition.function

(import_declaration) @import

(call_expression function: [(identifier) @call (field_expression field: (identifier) @call)])
(identifier) @reference
(type_identifier) @reference
