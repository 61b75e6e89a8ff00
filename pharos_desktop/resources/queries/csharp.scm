; Pharos tag query for C#. Namespaces do not qualify names. Capture names are documented in python.scm.

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(struct_declaration name: (identifier) @name) @definition.struct
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(local_function_statement name: (identifier) @name) @definition.function

(using_directive) @import

(invocation_expression function: [(identifier) @call
                                  (member_access_expression name: (identifier) @call)
                                  (generic_name (identifier) @call)])
(object_creation_expression type: (identifier) @call)
(identifier) @reference
