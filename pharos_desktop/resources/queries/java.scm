; Pharos tag query for Java. Capture names are documented in python.scm.

(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
; An enum constant with a body is a class of its own: State.InBody.process, not every state's process in State.
(enum_constant name: (identifier) @name body: (class_body)) @definition.class
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(compact_constructor_declaration name: (identifier) @name) @definition.method
; An anonymous class held by a field qualifies its methods with the field: JavaFile.NULL_APPENDABLE.append.
(variable_declarator name: (identifier) @name value: (object_creation_expression (class_body))) @scope

(import_declaration) @import

(method_invocation name: (identifier) @call)
(object_creation_expression type: (type_identifier) @call)
(identifier) @reference
(type_identifier) @reference
