"""统一身份认证 (foundation part): users, natural and legal persons, staff roles and their scope."""
