; Pharos tag query for Swift. struct/class/enum/extension are all class_declarations told apart
; by their declaration_kind; an extension is a scope (its methods come out as Type.method).
; Capture names are documented in python.scm.

(class_declaration declaration_kind: "class" name: (type_identifier) @name) @definition.class
(class_declaration declaration_kind: "actor" name: (type_identifier) @name) @definition.class
(class_declaration declaration_kind: "struct" name: (type_identifier) @name) @definition.struct
(class_declaration declaration_kind: "enum" name: (type_identifier) @name) @definition.enum
(class_declaration declaration_kind: "extension" name: (_) @name) @scope
(protocol_declaration name: (type_identifier) @name) @definition.interface
; The name right after "func" (the grammar also labels the return type "name"): operators ("==") included.
(function_declaration "func" . name: _ @name) @definition.function
(init_declaration "init" @name) @definition.method
(deinit_declaration "deinit" @name) @definition.method
(subscript_declaration "subscript" @name) @definition.method
; A computed property is code, like a method (JSON.object); a stored one stays in its type's outline.
(property_declaration name: (pattern) @name computed_value: (computed_property)) @definition.method

(import_declaration) @import

(call_expression . [(simple_identifier) @call
                    (navigation_expression suffix: (navigation_suffix suffix: (simple_identifier) @call))])
(simple_identifier) @reference
(type_identifier) @reference
