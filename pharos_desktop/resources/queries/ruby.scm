; Pharos tag query for Ruby. Modules qualify what they hold (Accounts.User.greet).
; Capture names are documented in python.scm.

(class name: [(constant) (scope_resolution)] @name) @definition.class
(module name: [(constant) (scope_resolution)] @name) @definition.module
(method name: (_) @name) @definition.function
(singleton_method name: (_) @name) @definition.method

(call
  method: (identifier) @_m
  (#any-of? @_m "require" "require_relative" "load" "autoload")) @import

(call method: (identifier) @call)
(constant) @reference
