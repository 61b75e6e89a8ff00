; Pharos tag query for Go. Capture names are documented in python.scm.

(function_declaration name: (identifier) @name) @definition.function
(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [(type_identifier) @receiver
             (pointer_type (type_identifier) @receiver)
             (generic_type type: (type_identifier) @receiver)
             (pointer_type (generic_type type: (type_identifier) @receiver))]))
  name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
; Any other named type (type Level uint32, type HandlerFunc func(...), type Fields map[...]...) and aliases:
; their methods are listed, so they are too.
(type_spec name: (type_identifier) @name) @definition.class
(type_alias name: (type_identifier) @name) @definition.class

(import_declaration) @import

(call_expression function: [(identifier) @call (selector_expression field: (field_identifier) @call)])
(identifier) @reference
(package_identifier) @reference
(type_identifier) @reference
