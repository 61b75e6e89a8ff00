; Pharos tag query for Java. Capture names are documented in python.scm.

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method

(import_declaration) @import

(method_invocation name: (identifier) @call)
(object_creation_expression type: (type_identifier) @call)
(identifier) @reference
(type_identifier) @reference
