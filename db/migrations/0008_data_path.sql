-- Reserved for this round's work; intentionally empty until filled.
SELECT 1;
