"""studybot: daily ML-interview questions, drills, streaks and leaderboards for chat teams."""

__version__ = "0.1.0"
