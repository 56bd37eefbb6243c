"""oncosig.datasets"""
