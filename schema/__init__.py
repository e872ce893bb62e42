"""The GraphQL surface: types, inputs, field guards and the assembled schema. No SQL here."""
